"""The WhatsApp Cloud API channel: webhook bodies in, Graph API request bodies out."""
