"""The SDK version, sent at registration and in the User-Agent header."""
VERSION = "0.1.0"
