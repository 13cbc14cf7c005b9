# Mailchimp: Audience > Export audience, subscribed_members_export_*.csv.
# Header: Email Address, First Name, Last Name, Address, Phone Number,
# Birthday, MEMBER_RATING, OPTIN_TIME, OPTIN_IP, CONFIRM_TIME, CONFIRM_IP,
# LATITUDE, LONGITUDE, GMTOFF, DSTOFF, TIMEZONE, CC, REGION, LAST_CHANGED,
# LEID, EUID, NOTES, TAGS (merge fields of the audience come after Last
# Name).  Times are "2016-04-18 13:51:14"; Birthday is MM/DD without a
# year, so it stays an attribute.  Everyone in it is subscribed.
says    mailchimp audience export (subscribed)
for     crm-add
detect  Email Address, MEMBER_RATING, LEID
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
default email_opt_in = yes
