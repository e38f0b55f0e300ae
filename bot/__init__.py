"""The engine: transports, dispatcher, outbox, scheduler, i18n, config. Knows no coworking."""
