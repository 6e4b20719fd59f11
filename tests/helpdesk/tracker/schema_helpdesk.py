
# ruff: noqa: F821 - `db` is schema.py's, which this is appended to
#
# HELP DESK SET-UP (appended by tests/helpdesk/roundup_desk.py to the classic template's schema.py)
#
# Customers write in by email without an account: the mail gateway registers each new sender
# (Anonymous needs 'Email Access' and 'Register', which the classic template already grants).
db.security.addPermissionToRole('Anonymous', 'Email Access')

# Support staff carry the 'Agent' role on top of 'User': the nosy reactor tells their answers
# from a customer's own messages by it (detectors/nosyreaction.py).
db.security.addRole(name='Agent', description='Support staff who answer issues')
