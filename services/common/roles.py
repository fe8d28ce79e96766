"""Roles and the role sets every rule and route names: one module, read by the services'
domains (who may make a move) and the gateway's access table (who may call a route).

A service never trusts a role it was not given by the gateway; the gateway passes the acting
user as `actor` {id, name, email, language, role}. Actions no person takes (a low satisfaction
score reopening a form, a scheduled reminder) are made by SYSTEM_ACTOR."""

ADMIN, DESK_ROLE, MANAGER, TECHNICIAN = "admin", "desk", "manager", "technician"
FINAL_CHECKER, REP, CONTRACTS, CUSTOMER = "final_checker", "rep", "contracts", "customer"
SYSTEM = "system"  # the system itself: never a user's role, never accepted from a token

ROLES = (ADMIN, DESK_ROLE, MANAGER, TECHNICIAN, FINAL_CHECKER, REP, CONTRACTS, CUSTOMER)
STAFF = tuple(r for r in ROLES if r != CUSTOMER)

MANAGE = (MANAGER, ADMIN)  # assign, prices, fees, publish, catalogues they share with admin
WORK = (TECHNICIAN, MANAGER, ADMIN)  # record diagnosis, work, parts; write knowledge drafts
DESK = (DESK_ROLE, MANAGER, ADMIN)  # open service forms, hand devices over
REPS = (REP, MANAGER, ADMIN)  # satisfaction calls
ARCHIVE_KEEPERS = (MANAGER, ADMIN, CONTRACTS)  # move cards, add coverage, import
ARCHIVE_WRITERS = (DESK_ROLE, MANAGER, ADMIN, REP, CONTRACTS)  # create, change customers, cards
ADMINS = (ADMIN,)

SYSTEM_ACTOR = {"id": None, "name": "Servis", "email": None, "language": "tr", "role": SYSTEM}
