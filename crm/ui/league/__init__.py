"""The league table page: organisations and people ranked on X and Bluesky."""
