# Stripe: Dashboard > Payments > Export (CSV), default columns: id,
# Description, Seller Message, Created (UTC), Amount, Amount Refunded,
# Currency, Converted Amount, Converted Amount Refunded, Fee, Tax,
# Converted Currency, Mode, Status, Statement Descriptor, Customer ID,
# Customer Description, Customer Email, Captured, Card ID, Card Last4, ...
# A payment's Status becomes its kind: Paid is a purchase.  Currency is
# lower case (usd) and Amount in units with a decimal point.
says    stripe payments export
for     crm-log
detect  id, Seller Message, Created (UTC), Amount, Customer Email
column  id = ref
column  Created (UTC) = at
column  Amount = amount
column  Currency = currency
column  Customer ID = external_id
column  Customer Email = email
column  Description = note
column  Status = kind
others  ignore
value   kind: Paid = purchase
value   kind: Succeeded = purchase
value   kind: Refunded = refund
value   kind: Partially refunded = purchase
value   kind: Failed = failed_payment
value   kind: Uncaptured = authorisation
default channel = web
