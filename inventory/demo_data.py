"""Demo stock: a Fuzhou and a Ningbo warehouse, and two Fuzhou kiosks selling Guyuan's products.

Places, lot codes and quantities are INVENTED for the demo. Expiry dates are days from the day the
demo is loaded, so that some lots are always near expiry and one kiosk slot holds expired goods.
"""

WAREHOUSES = [
    {
        "code": "FZ-WH-01",
        "name_zh": "福州消费帮扶中心仓（演示）",
        "name_en": "Fuzhou consumption-assistance warehouse (demo)",
        "partner": "350100",
        "address": "福州市仓山区（演示地址）",
    },
    {
        "code": "NB-WH-01",
        "name_zh": "宁波以购代捐配送仓（演示）",
        "name_en": "Ningbo buy-instead-of-donate warehouse (demo)",
        "partner": "330200",
        "address": "宁波市鄞州区（演示地址）",
    },
]

# (warehouse, sku, days until expiry, days ago received, units)
WAREHOUSE_LOTS = [
    ("FZ-WH-01", "GY-INSTANT-VERMICELLI-6", 20, 30, 12),
    ("FZ-WH-01", "GY-INSTANT-VERMICELLI-6", 150, 10, 48),
    ("FZ-WH-01", "GY-POTATO-SHREDS-10", -1, 40, 2),
    ("FZ-WH-01", "GY-POTATO-SHREDS-10", 120, 10, 30),
    ("FZ-WH-01", "GY-VERMICELLI-1KG", 400, 20, 30),
    ("FZ-WH-01", "GY-POTATO-STARCH-1KG", 600, 20, 24),
    ("FZ-WH-01", "GY-SHIITAKE-250G", 200, 20, 20),
    ("FZ-WH-01", "GY-HONEY-500G", 500, 20, 24),
    ("FZ-WH-01", "GY-ASTRAGALUS-250G", 600, 20, 12),
    ("FZ-WH-01", "GY-BUCKWHEAT-2KG", 250, 20, 16),
    ("FZ-WH-01", "GY-OATS-1KG", 4, 30, 6),
    ("FZ-WH-01", "GY-OATS-1KG", 300, 5, 20),
    ("FZ-WH-01", "GY-POTATO-5KG", 30, 10, 20),
    ("FZ-WH-01", "GY-BEEF-SPICED-200G", 3, 20, 10),
    ("FZ-WH-01", "GY-BEEF-SPICED-200G", 25, 3, 12),
    ("FZ-WH-01", "GY-APRICOT-2500G", 2, 5, 8),
    ("NB-WH-01", "QXN-PUAN-RED-250G", 600, 30, 40),
    ("NB-WH-01", "QXN-QINGLONG-GREEN-250G", 400, 30, 30),
    ("NB-WH-01", "QXN-COIX-1KG", 250, 30, 40),
    ("NB-WH-01", "QXN-ZONGZI-8", 5, 60, 24),
    ("NB-WH-01", "QXN-MANGO-5KG", 2, 3, 10),
    ("NB-WH-01", "YB-RICE-5KG", 300, 30, 60),
    ("NB-WH-01", "YB-KIMCHI-1KG", 6, 60, 15),
    ("NB-WH-01", "YB-APPLE-PEAR-5KG", 40, 10, 20),
]

# Slots: (code, sku, capacity, par level, units put in two days ago, earliest expiry first).
KIOSKS = [
    {
        "code": "FZ-0001",
        "mode": "vend",
        "name_zh": "福州火车站北广场消费帮扶专柜（演示）",
        "name_en": "Fuzhou Railway Station north square kiosk (demo)",
        "address": "福州火车站北广场（演示地址）",
        "slots": [
            ("A1", "GY-INSTANT-VERMICELLI-6", 8, 6, 5),
            ("A2", "GY-INSTANT-VERMICELLI-6", 8, 6, 6),
            ("A3", "GY-POTATO-SHREDS-10", 8, 6, 4),
            ("A4", "GY-VERMICELLI-1KG", 6, 4, 4),
            ("B1", "GY-POTATO-STARCH-1KG", 6, 4, 1),
            ("B2", "GY-SHIITAKE-250G", 6, 4, 3),
            ("B3", "GY-HONEY-500G", 6, 4, 4),
            ("B4", "GY-ASTRAGALUS-250G", 6, 3, 3),
            ("C1", "GY-BUCKWHEAT-2KG", 4, 3, 2),
            ("C2", "GY-OATS-1KG", 6, 4, 0),
            ("C3", "GY-POTATO-5KG", 4, 2, 2),
            ("C4", "GY-BEEF-SPICED-200G", 6, 4, 3),
        ],
        # Goods left in a slot past their expiry, for the pick list and alerts to catch.
        "expired": [("A3", "GY-POTATO-SHREDS-10", 2)],
    },
    {
        "code": "FZ-0002",
        "mode": "open_door",
        "name_zh": "福州市民服务中心消费帮扶专柜（演示）",
        "name_en": "Fuzhou Citizen Service Centre kiosk (demo)",
        "address": "福州市民服务中心一楼（演示地址）",
        "slots": [
            ("S1", "GY-POTATO-5KG", 10, 6, 6),
            ("S2", "GY-APRICOT-2500G", 6, 4, 3),
            ("S3", "GY-HONEY-500G", 8, 5, 5),
            ("S4", "GY-INSTANT-VERMICELLI-6", 12, 8, 8),
            ("S5", "GY-VERMICELLI-1KG", 10, 6, 6),
            ("S6", "GY-BUCKWHEAT-2KG", 8, 4, 4),
        ],
        "expired": [],
    },
]
KIOSK_WAREHOUSE = "FZ-WH-01"
KIOSK_ROUTE = "FZ-R1"
KIOSK_PARTNER = "350100"
