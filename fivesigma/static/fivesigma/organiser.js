// Worker health is a broadcast to the workers that takes about a second: fetched after the page.
(async () => {
  const card = document.getElementById("worker-health");
  if (!card) return;
  const status = document.getElementById("worker-status");
  const list = document.getElementById("worker-list");
  const line = (ok, text) => {
    const item = document.createElement("li");
    item.textContent = (ok ? "✔ " : "✘ ") + text;
    return item;
  };
  try {
    const reply = await fetch(card.dataset.url, { headers: { Accept: "application/json" } });
    const health = await reply.json();
    if (!reply.ok) throw new Error(health.error || reply.statusText);
    const lines = health.workers.map((w) => line(true, `${w.name}: ${w.queues.join(", ")}`));
    for (const queue of health.queues_without_worker) lines.push(line(false, `no worker consumes queue ${queue}`));
    if (health.error) lines.push(line(false, health.error));
    list.replaceChildren(...lines);
    const when = new Date(health.checked).toLocaleTimeString();
    status.textContent = health.workers.length ? `Answered at ${when}.` : `No worker answered (asked at ${when}).`;
  } catch (error) {
    status.textContent = `Worker health unavailable: ${error.message}`;
  }
})();
