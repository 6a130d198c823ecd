"""The platform's own price-forming processes (STL 18; R-ST-1, R-ST-3): 挂牌交易 with a disclosure
period, and competitive bidding or auction among the qualified buyers of a lot."""
