// Small progressive enhancements: local time zones, drag-and-drop upload, copy buttons,
// status polling.
document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("time[datetime]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when)) {
      el.title = el.textContent + " UTC";
      el.textContent = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    }
  }
  const zone = document.querySelector(".dropzone");
  if (zone) {
    const input = zone.querySelector("input[type=file]");
    const label = zone.querySelector(".chosen");
    const show = () => { label.textContent = input.files.length ? input.files[0].name : ""; };
    input.addEventListener("change", show);
    for (const type of ["dragenter", "dragover"]) zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("over"); });
    for (const type of ["dragleave", "drop"]) zone.addEventListener(type, () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => { e.preventDefault(); input.files = e.dataTransfer.files; show(); });
  }
  // Copy buttons: the clipboard where the browser allows it, else the text is selected.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = "Copied";
      } catch (error) {
        const code = button.parentElement.querySelector("code");
        if (code) window.getSelection().selectAllChildren(code);
        button.textContent = "Selected: press Ctrl+C";
      }
      setTimeout(() => { button.textContent = "Copy"; }, 2500);
    });
  }
  // One step of a submission's history, as the page renders it.
  const historyLine = (event) => {
    const item = document.createElement("li");
    const status = document.createElement("span");
    status.className = "status " + event.status;
    status.textContent = event.status;
    const when = document.createElement("time");
    when.dateTime = event.at;
    when.textContent = new Date(event.at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
    item.append(status, " ", when, " " + (event.message || ""));
    return item;
  };
  const poll = document.querySelector("[data-status-url]");
  if (poll && poll.dataset.done !== "true") {
    const tick = async () => {
      const reply = await fetch(poll.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (!reply.ok) return;
      const data = await reply.json();
      if (data.done) { window.location.reload(); return; }
      const badge = document.getElementById("status-badge");
      if (badge) { badge.textContent = data.status; badge.className = "status " + data.status; }
      const history = document.getElementById("history");
      if (history) history.replaceChildren(...data.events.map(historyLine));
      setTimeout(tick, 1500);
    };
    setTimeout(tick, 1500);
  }
});
