# The classic template's nosy reactor, changed for a help desk (tests/helpdesk/roundup_desk.py):
# with `messages_to_author = yes` in config.ini the customer gets a copy of their own new message;
# that copy is the desk's courtesy acknowledgement, so it says so (a line below the message) and
# carries `Auto-Submitted: auto-replied` (RFC 3834), as an auto-responder's mail does. An agent's
# answer goes out as Roundup sends any message.

from roundup import hyperdb, roundupdb

STAFF_ROLES = ('Agent', 'Admin')


def acknowledgement_note(note, issueid, db, cl, oldvalues):
    designator = f'{cl.classname}{issueid}'
    return (f'We have received your request and filed it as {designator}. A support agent will answer '
            f'you by email; please keep [{designator}] in the subject if you write again.\n\n{note or ""}')


def nosyreaction(db, cl, nodeid, oldvalues):
    ''' Send a copy of every new message on the issue to the nosy list (see the classic template). '''
    for msgid in determineNewMessages(cl, nodeid, oldvalues):
        author = db.msg.get(msgid, 'author')
        try:
            if author and not db.user.has_role(author, *STAFF_ROLES):
                cl.nosymessage(nodeid, msgid, oldvalues, note_filter=acknowledgement_note,
                               add_headers={'Auto-Submitted': 'auto-replied'})
            else:
                cl.nosymessage(nodeid, msgid, oldvalues)
        except roundupdb.MessageSendError as message:
            raise roundupdb.DetectorError(message)


def determineNewMessages(cl, nodeid, oldvalues):
    ''' The messages added to the node in this transaction. '''
    messages = []
    if oldvalues is None:
        messages = cl.get(nodeid, 'messages')
    elif 'messages' in oldvalues:
        old = set(oldvalues['messages'])
        messages = [m for m in cl.get(nodeid, 'messages') if m not in old]
    return messages


def updatenosy(db, cl, nodeid, newvalues):
    ''' Put the assignee and, per config, the authors and recipients of new messages on the nosy list. '''
    current_nosy = set()
    if nodeid is None:
        ok = ('new', 'yes')
    else:
        ok = ('yes',)
        if 'nosy' not in newvalues:
            current_nosy.update(cl.get(nodeid, 'nosy'))
    if 'nosy' in newvalues:
        current_nosy.update(v for v in newvalues.get('nosy', []) if db.hasnode('user', v))
    new_nosy = set(current_nosy)
    if 'assignedto' in newvalues and newvalues['assignedto'] is not None:
        prop = cl.getprops()['assignedto']
        if isinstance(prop, hyperdb.Link):
            new_nosy.add(newvalues['assignedto'])
        else:
            new_nosy.update(newvalues['assignedto'])
    if 'messages' in newvalues:
        if nodeid is None:
            messages = newvalues['messages']
        else:
            old = cl.get(nodeid, 'messages')
            messages = [m for m in newvalues['messages'] if m not in old]
        add_author = getattr(db.config, 'ADD_AUTHOR_TO_NOSY', 'new')
        add_recips = getattr(db.config, 'ADD_RECIPIENTS_TO_NOSY', 'new')
        for msgid in messages:
            if add_author in ok:
                new_nosy.add(db.msg.get(msgid, 'author'))
            if add_recips in ok:
                new_nosy.update(db.msg.get(msgid, 'recipients'))
    if current_nosy != new_nosy:
        newvalues['nosy'] = list(new_nosy)


def init(db):
    db.issue.react('create', nosyreaction)
    db.issue.react('set', nosyreaction)
    db.issue.audit('create', updatenosy)
    db.issue.audit('set', updatenosy)
