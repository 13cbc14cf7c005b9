# Mailchimp: Audience > Export audience, unsubscribed_members_export_*.csv:
# the subscribed header (mailchimp-members) followed by UNSUB_TIME,
# UNSUB_CAMPAIGN_TITLE, UNSUB_CAMPAIGN_ID, UNSUB_REASON,
# UNSUB_REASON_OTHER.  Everyone in it has withdrawn email consent.
says    mailchimp audience export (unsubscribed)
for     crm-add
detect  Email Address, MEMBER_RATING, LEID, UNSUB_TIME
column  CONFIRM_TIME = created_at
column  CC = country
column  Birthday = birthday_mmdd
ignore  OPTIN_IP
ignore  CONFIRM_IP
ignore  LATITUDE
ignore  LONGITUDE
ignore  GMTOFF
ignore  DSTOFF
ignore  LEID
ignore  EUID
default email_opt_in = no
