"""Dangjian (党建): a digital Party-building platform for enterprises."""
