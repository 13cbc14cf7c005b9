# Mailchimp: Audience > Export audience, cleaned_members_export_*.csv: the
# subscribed header (mailchimp-members) followed by CLEAN_TIME,
# CLEAN_CAMPAIGN_TITLE, CLEAN_CAMPAIGN_ID.  Cleaned addresses bounced
# hard or were invalid: they are not mailed again.
says    mailchimp audience export (cleaned)
for     crm-add
detect  Email Address, MEMBER_RATING, LEID, CLEAN_TIME
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
