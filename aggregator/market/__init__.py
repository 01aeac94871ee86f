"""The market report: occupation and industry coding, 求人倍率 / 工资价位 / 紧缺职业, and the 零工市场 directory."""
