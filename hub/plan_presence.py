"""Whether a planner is running and watching for unplanned events (Redis only).

The emits' hand-off (hub.unplanned) queues a planning task only when no planner runs: a
running one announces itself every 100 ms (a key that lives 500 ms) and looks for unplanned
events every 10 ms, so a steady stream of emits costs a task now and then, not one per few
events (django-q2 takes tens of milliseconds per task; at 100 emits/s those tasks outnumbered
what a worker could take off the queue). A planner that stops withdraws first and then looks
once more: an event committed while the key still stood is planned by that last look.
While none runs, the first hand-off queues a "kicked" task and marks it; hand-offs until that
task starts queue nothing (it removes the mark, then plans every unplanned event). A mark whose
task was lost lives 1 s; the planning sweep plans its events. The mechanics are
hub.lib.presence, shared with delivery.presence.
Without Redis (or when it does not answer) every hand-off queues its task.
"""

from __future__ import annotations

from hub.lib.presence import Presence

planners = Presence("events:planner")
enabled = planners.enabled
announce = planners.announce
withdraw = planners.withdraw
active = planners.active
claim_kick = planners.claim_kick
kick_taken = planners.kick_taken
