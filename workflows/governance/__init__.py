"""The governance report (white paper): made for a month, a quarter or a year, by a monthly schedule
and on an administrator's demand."""
