# Salesforce: a Contacts & Accounts report exported as CSV ("Export >
# Details only").  Report columns are chosen per report; these are the
# standard report's: Contact Owner, Contact ID, First Name, Last Name,
# Title, Account Name, Mailing Street, Mailing City, Mailing State/Province,
# Mailing Zip/Postal Code, Mailing Country, Phone, Mobile, Email,
# Lead Source, Created Date.  Dates follow the exporting user's locale:
# this profile takes the US one (5/8/2024); for another, give
# --date-format (crm-import(5)).
says    salesforce contact report
for     crm-add
detect  Contact Owner, Account Name
column  Contact ID = external_id
column  Contact Owner = owner
column  Account Name = company
column  Mailing Street = street
column  Mailing City = city
column  Mailing Zip/Postal Code = postcode
column  Mailing Country = country
column  Mailing State/Province = state
column  Created Date = created_at
column  Mobile = mobile_phone
date-format %m/%d/%Y
