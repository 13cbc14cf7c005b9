# HubSpot: Contacts > Export (CSV), the default "properties in view" set.
# Header names as HubSpot writes them: Record ID, First Name, Last Name,
# Email, Phone Number, Lifecycle Stage, Lead Status, Contact owner,
# Create Date, Country/Region, City, State/Region, Company Name.
# Lifecycle stages are exported by their labels (the API's internal names
# are mapped too, for exports made through the API or an integration).
# Create Date is "YYYY-MM-DD HH:MM" in the portal's time zone, read as UTC.
says    hubspot contacts export
for     crm-add
detect  Record ID, Lifecycle Stage, Create Date
column  Record ID = external_id
column  Contact owner = owner
column  Create Date = created_at
column  Country/Region = country
column  State/Region = state
value   stage: Subscriber = lead
value   stage: subscriber = lead
value   stage: Lead = lead
value   stage: Marketing Qualified Lead = lead
value   stage: marketingqualifiedlead = lead
value   stage: Sales Qualified Lead = prospect
value   stage: salesqualifiedlead = prospect
value   stage: Opportunity = prospect
value   stage: Customer = customer
value   stage: Evangelist = customer
value   stage: Other = lead
