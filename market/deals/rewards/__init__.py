"""Rewards of the inventors of a state-funded unit's deal (STL 45; SH 34): the floor and the recorded distribution."""
