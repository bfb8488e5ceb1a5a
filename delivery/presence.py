"""Whether a lane sender is running and watching for new deliveries (Redis only).

A following sender announces itself every 100 ms (a key that lives 500 ms) while it claims; it
looks for deliveries newer than its last claim every 20 ms, so the record-time queue task of a
new delivery is redundant then and is not queued (at 100 events/s those tasks outnumbered what
two workers could take off the queue between their senders). When a sender stops claiming it
withdraws first and then looks once more: a delivery committed while the key still stood is
seen by that last look and queued by the sender itself. Without Redis nothing is skipped.

While no sender runs, the first new delivery queues a "kicked" task and marks it (claim_kick);
deliveries recorded before that task starts queue nothing: the task removes the mark first and
then follows every lane (delivery.tasks.deliver), so it sends them as well.
"""

from __future__ import annotations

from hub.lib.presence import Presence

# A kicked task: queued by a new delivery while no sender ran. Until it starts, later deliveries
# queue nothing (it follows every lane when it starts, so it takes them too): under a burst
# with the workers not yet running, one task instead of one per event. The mark lives at most
# a second, in case the task is lost (the lost-task sweep sends its deliveries then).
senders = Presence("delivery:sender")
announce = senders.announce
withdraw = senders.withdraw
active = senders.active
claim_kick = senders.claim_kick
kick_taken = senders.kick_taken
