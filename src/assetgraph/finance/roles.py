"""What each built-in role may do in finance.

Finance owns the books: depreciation profiles, per-asset finance settings, exchange rates,
budgets, replacement policies, and closing periods (``add`` on closed periods runs the
monthly depreciation and locks the month). Procurement owns purchase orders and contracts
(placing and receiving them is ``change``), reads the profiles, budgets and replacement
policies, and sets an asset's own finance settings (cost centre, owning company) when it
buys. Compliance reads everything. Operations (NOC, system administrators) read contracts,
to know what support covers the hardware of an outage. Reading schedules, the register and
journals needs ``view_cost`` on assets as well (see ``assets/roles.py``).
"""

PROFILE = "finance.depreciationprofile"
SETTINGS = "finance.assetfinance"
RATE = "finance.exchangerate"
PERIOD = "finance.closedperiod"
ORDER = "finance.purchaseorder"
LINE = "finance.purchaseorderline"
BUDGET = "finance.budget"
CONTRACT = "finance.contract"
REPLACEMENT = "finance.replacementpolicy"
FULL = ["view", "add", "change", "delete"]
READ = ["view"]
# Finance reads the CMDB to see what each business service costs and which hardware it
# needs; Procurement to name the CIs a contract covers.
CI = "cmdb.ci"

ROLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "Finance": {
        PROFILE: FULL,
        SETTINGS: FULL,
        RATE: FULL,
        PERIOD: ["view", "add"],
        ORDER: READ,
        LINE: READ,
        BUDGET: FULL,
        CONTRACT: READ,
        REPLACEMENT: FULL,
        CI: READ,
    },
    "Procurement": {
        PROFILE: READ,
        SETTINGS: ["view", "add", "change"],
        RATE: READ,
        ORDER: FULL,
        LINE: FULL,
        BUDGET: READ,
        CONTRACT: FULL,
        REPLACEMENT: READ,
        CI: READ,
    },
    "Compliance": {
        PROFILE: READ,
        SETTINGS: READ,
        RATE: READ,
        PERIOD: READ,
        ORDER: READ,
        LINE: READ,
        BUDGET: READ,
        CONTRACT: READ,
        REPLACEMENT: READ,
    },
    # Operations read support contracts: during an outage they must know whom to call and
    # whether the hardware on the impact path is covered (the "no support contract" flag).
    "IT Operations (NOC)": {CONTRACT: READ},
    "System Administrator": {CONTRACT: READ},
}
