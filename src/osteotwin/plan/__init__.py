"""Personal plans: a safety-screened bone-loading exercise program and a food-based nutrition plan."""
