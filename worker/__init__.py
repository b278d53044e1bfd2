"""The batch side of EPA: `python -m worker migrate | run | seed-demo`."""
