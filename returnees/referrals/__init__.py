"""Partner organisations and referrals to their services."""
