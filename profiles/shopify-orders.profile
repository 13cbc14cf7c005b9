# Shopify: Orders > Export (CSV).  One line per line item; the order's
# fields (Email, Created at, Currency, Total, ...) are on its first line
# and may be blank on the others, which share its Name (#1001).  Header:
# Name, Email, Financial Status, Paid at, Fulfillment Status, Fulfilled
# at, Accepts Marketing, Currency, Subtotal, Shipping, Taxes, Total,
# Discount Code, Discount Amount, Shipping Method, Created at, Lineitem
# quantity, Lineitem name, Lineitem price, Lineitem compare at price,
# Lineitem sku, ... Billing Name, ..., Shipping Name, ..., Id, Tags, Risk
# Level, Source, Lineitem discount, ...  Times look like
# "2024-05-08 00:00:00 +0100".  The order's Total is its amount (on its
# first line); each line keeps its product and quantity.
says    shopify orders export
for     crm-log
detect  Name, Financial Status, Lineitem name, Lineitem quantity
column  Name = order
column  Email = email
column  Created at = at
column  Currency = currency
column  Total = amount
column  Lineitem name = product
column  Lineitem quantity = quantity
others  ignore
default channel = web
default kind = purchase
