# The public contact form of the help desk (tests/helpdesk/roundup_desk.py): a customer without an
# account writes in at issue?@template=contact; this action files the message as a new issue, as the
# mail gateway does for an email (the sender is found or registered by address, is the message's
# author and is on the nosy list, so the acknowledgement and the agent's answer reach them by email),
# and shows the confirmation page with the issue id.

from email.utils import parseaddr

from roundup.cgi import exceptions
from roundup.cgi.actions import Action
from roundup.date import Date
from roundup.exceptions import Reject
from roundup.mailgw import uidFromAddress

FIELDS = ('name', 'email', 'subject', 'message')


class ContactAction(Action):
    name = 'contact'
    permissionType = None  # anyone may write in; the user is registered by address below

    def handle(self):
        if self.client.env['REQUEST_METHOD'] != 'POST':
            raise Reject(self._('Invalid request'))
        values = {f: (self.form[f].value.strip() if f in self.form else '') for f in FIELDS}
        missing = [f for f in FIELDS if not values[f]]
        if missing:
            for field in missing:
                self.client.add_error_message(self._('Please fill in: %s') % field)
            return
        realname, address = parseaddr(values['email'])
        if '@' not in address or realname:
            self.client.add_error_message(self._('Please give a valid email address'))
            return
        # the records are the customer's, as when they write by email (the mail gateway opens the db as them)
        userid = uidFromAddress(self.db, (values['name'], address), create=1)
        self.db.setCurrentUser(self.db.user.get(userid, 'username'))
        msgid = self.db.msg.create(content=values['message'], author=userid, date=Date('.'))
        issueid = self.db.issue.create(title=values['subject'], messages=[msgid], nosy=[userid])
        self.db.commit()
        raise exceptions.Redirect(f'{self.base}issue{issueid}?@template=received')


def init(instance):
    instance.registerAction('contact', ContactAction)
