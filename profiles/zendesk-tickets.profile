# Zendesk: Admin Center > Account > Tools > Reports > Export, CSV.  Header:
# Summation column, Id, Requester, Requester id, Requester external id,
# Requester email, Requester domain, Submitter, Assignee, Group, Subject,
# Tags, Status, Priority, Via, Ticket type, Created at, Updated at,
# Assigned at, Organization, Due date, Initially assigned at, Solved at,
# Resolution time, Satisfaction Score, ...  Statuses: new, open, pending,
# hold, solved, closed.  Via is the channel the ticket came in on.
says    zendesk tickets export
for     crm-log
detect  Id, Requester email, Via, Solved at
column  Id = ref
column  Requester email = email
column  Requester external id = external_id
column  Subject = subject
column  Status = status
column  Via = channel
column  Created at = at
column  Solved at = closed_at
column  Ticket type = category
others  ignore
value   status: new = open
value   status: hold = open
value   status: on-hold = open
value   status: pending = open
value   status: solved = closed
value   channel: Web form = web
value   channel: Web Widget = web
value   channel: Web service = web
value   channel: Help Center = web
value   channel: Mail = email
value   channel: Email = email
value   channel: Chat = chat
value   channel: Messaging = chat
value   channel: Phone call (incoming) = phone
value   channel: Phone call (outgoing) = phone
value   channel: Voicemail = phone
value   channel: Text = sms
value   channel: SMS = sms
value   channel: Twitter = social
value   channel: Facebook = social
value   channel: API = other
value   channel: Mobile = other
value   channel: Mobile SDK = other
value   channel: Closed ticket = other
value   channel: Ticket sharing = other
default kind = ticket
default direction = in
