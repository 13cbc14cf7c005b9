# Shopify: Customers > Export (CSV for Excel, Numbers or other
# spreadsheets).  Current header: Customer ID, First Name, Last Name,
# Email, Accepts Email Marketing, Default Address Company, Default Address
# Address1, Default Address Address2, Default Address City, Default
# Address Province Code, Default Address Country Code, Default Address
# Zip, Default Address Phone, Phone, Accepts SMS Marketing, Total Spent,
# Total Orders, Note, Tax Exempt, Tags.  Older stores export Company,
# Address1, Address2, City, Province, Province Code, Country, Country
# Code and Zip instead; both are mapped.
says    shopify customers export
for     crm-add
detect  Email, Accepts Email Marketing, Total Orders
column  Customer ID = external_id
column  Accepts Email Marketing = email_opt_in
column  Accepts SMS Marketing = sms_opt_in
column  Default Address Company = company
column  Default Address Address1 = street
column  Default Address Address2 = address2
column  Default Address City = city
column  Default Address Province Code = province
column  Default Address Country Code = country
column  Default Address Zip = postcode
column  Default Address Phone = address_phone
column  Address1 = street
column  Address2 = address2
column  Province Code = province
column  Country Code = country
column  Country = country_name
column  Province = province_name
