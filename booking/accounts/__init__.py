"""Staff accounts: creating them, passwords, logging in (throttled), sessions, and who may see which division.

The API clients (programs with a key) are in :mod:`booking.accounts.api_clients`.
"""
from .operations import (PASSWORD_MIN_LENGTH, AccountError, all_users, authenticate, check_new_password,
                         create_user, divisions_by_id, divisions_by_slug, end_sessions, find_user, is_locked,
                         normalise_user_email, set_password, update_user)

__all__ = ["PASSWORD_MIN_LENGTH", "AccountError", "all_users", "authenticate", "check_new_password", "create_user",
           "divisions_by_id", "divisions_by_slug", "end_sessions", "find_user", "is_locked", "normalise_user_email",
           "set_password", "update_user"]
