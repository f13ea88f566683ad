"""Operations grants: none for the built-in roles.

Webhooks, event rules, the webhook allow list, schedules, jobs, deliveries and backups are
for administrators only (the Admin role holds every action on every registered type). Each
user reads and changes only their own notifications and preferences, which need no grant.
"""

ROLE_GRANTS: dict[str, dict[str, list[str]]] = {}
