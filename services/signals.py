"""What services tell the layers above without importing them (reporting notifies people)."""

from django.dispatch import Signal

# Sent inside the transaction that records the step, with `request` (an OpenMonthRequest) and
# `event` ("created", "granted" or "declined"): a receiver's writes commit or roll back with it.
open_month_request_changed = Signal()

# Sent inside the transaction of a monthly approval move (services.approval_actions), with
# `centres` (the ones moved), `month`, `event` ("approved", "returned", "unapproved",
# "confirmed", "unconfirmed"), `actor` and `reason`.
month_review_changed = Signal()
