# Stripe: Dashboard > Customers > Export (CSV), default columns: id,
# Description, Email, Name, Created (UTC), Delinquent, Plan, Status,
# Total Spend, Payment Count, Refunded Volume, Dispute Losses, and the
# metadata columns ("tag (metadata)").  Name is the whole name; Created
# (UTC) is "2024-05-08 10:23" or with seconds.
says    stripe customers export
for     crm-add
detect  id, Email, Created (UTC), Delinquent
column  id = external_id
column  Name = full_name
column  Created (UTC) = created_at
