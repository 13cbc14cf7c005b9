# Salesforce: a Leads report exported as CSV ("Export > Details only"),
# standard columns: Lead Owner, Lead ID, First Name, Last Name, Title,
# Company / Account, Street, City, State/Province, Zip/Postal Code,
# Country, Phone, Mobile, Email, Lead Source, Lead Status, Rating,
# Created Date.  Every lead is a lead; Lead Status stays an attribute.
# Dates as in salesforce-contacts (US locale).
says    salesforce lead report
for     crm-add
detect  Lead Owner, Lead Status
column  Lead ID = external_id
column  Lead Owner = owner
column  Company / Account = company
column  Zip/Postal Code = postcode
column  State/Province = state
column  Created Date = created_at
column  Mobile = mobile_phone
default stage = lead
date-format %m/%d/%Y
