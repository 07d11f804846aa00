"""The lifecycle of the chats the bot serves: migrations to supergroups, removal of the bot."""
