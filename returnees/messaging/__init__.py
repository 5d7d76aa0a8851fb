"""SMS and WhatsApp: the gateway (Twilio or simulated), stored messages, webhooks, consent."""
