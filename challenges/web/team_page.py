"""The team page: without a team, create or join one; in a team, its members and the
actions the engine accepts (invite while there is room, leave while it has no submissions)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from fivesigma.challenges.engine import teams, visibility


@login_required
def team_page(request, slug: str):
    challenge = visibility.challenge(request.user, slug)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create":
                teams.create_team(request.user, challenge, request.POST.get("name", ""))
                messages.success(request, "Team created.")
            elif action == "join":
                joined = teams.join(request.user, request.POST.get("code", ""), challenge)
                messages.success(request, f"You joined {joined.name}.")
            elif action == "leave":
                teams.leave(request.user, challenge)
                messages.success(request, "You left the team.")
        except teams.TeamError as error:
            messages.error(request, str(error))
        return redirect("team", slug=slug)
    team = teams.team_of(request.user, challenge)
    context: dict[str, object] = {"challenge": challenge, "team": team}
    if team:
        members = list(team.memberships.select_related("user").order_by("joined", "pk"))
        # only what the engine will accept is offered (``teams.join`` and ``teams.leave``)
        context |= {
            "members": members,
            "has_submissions": team.submissions.exists(),
            "room": challenge.max_team_size - len(members),
        }
    return render(request, "challenges/team.html", context)
