class Solution:
    def trap(self, height: list[int]) -> int:
        triples = zip(height, height[1:], height[2:], strict=False)
        return sum(max(0, min(a, b) - c) for a, c, b in triples)  # only one-wide dips
