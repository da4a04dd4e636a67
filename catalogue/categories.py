"""Product categories, with their names in Chinese and English."""

CATEGORIES: dict[str, tuple[str, str]] = {
    "grain": ("粮油米面", "Grain, oil and noodles"),
    "vegetable": ("蔬菜", "Vegetables"),
    "fruit": ("水果", "Fruit"),
    "meat": ("肉禽蛋", "Meat and eggs"),
    "dried": ("干货山珍", "Dried goods and mountain produce"),
    "tea": ("茶饮", "Tea"),
    "honey": ("蜂产品", "Honey"),
    "snack": ("休闲食品", "Snacks"),
    "condiment": ("调味品", "Condiments"),
}
