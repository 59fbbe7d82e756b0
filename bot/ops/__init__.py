"""Running the bot for real: the command line, start-up checks, the webhook and health/metrics
server, logs, clean stops and the bot's profile.

Modules: `cli` (argparse: `forkom-bot …`), `runner` (start, serve by polling or webhook, stop
on a signal), `startup` (one-line start-up errors), `web` (the aiohttp server: webhook,
`/healthz`, `/metrics`), `health`, `metrics`, `logs`, `profile` (description texts),
`commands` (the operator commands: admin, backup, restore, check).
"""
