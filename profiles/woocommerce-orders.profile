# WooCommerce: Customer / Order / Coupon Export, CSV in the "Default - one
# row per item" format, whose column names are its keys: order_id,
# order_number, order_number_formatted, order_date, status, ...,
# order_total, order_currency, ..., billing_first_name, billing_last_name,
# billing_email, billing_phone, ..., item_name, item_sku, item_quantity,
# item_subtotal, item_total, ...  Order fields repeat on every item line,
# so a line's amount is its item_total (shipping and fees are left out);
# order_date is "2024-05-08 03:17:47" in the shop's time zone.
says    woocommerce orders export
for     crm-log
detect  order_number, order_date, billing_email, item_name
column  order_number = order
column  order_date = at
column  billing_email = email
column  order_currency = currency
column  item_total = amount
column  item_name = product
column  item_quantity = quantity
others  ignore
default channel = web
default kind = purchase
