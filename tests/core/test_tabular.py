"""Excel/CSV reading: encodings and a sample that ends inside a character."""

import io

from dangjian.core.tabular import iter_rows


def test_a_large_utf8_csv_whose_sample_ends_inside_a_character_is_read():
    # GIVEN a UTF-8 file longer than the 64 KiB sample, with a 3-byte character across the sample's end
    text = "姓名\n" + "张" * 21844 + "\n" + "李四\n"  # 3 + 65532 bytes, then the next character starts at byte 65536
    data = text.encode("utf-8")
    assert len(data) > 65536
    rows = [cells for _n, cells in iter_rows("csv", io.BytesIO(data))]
    assert rows[0] == ["姓名"] and rows[-1] == ["李四"]


def test_gbk_csv_is_read():
    data = "姓名,部门\n张三,财务部\n".encode("gb18030")
    assert [cells for _n, cells in iter_rows("csv", io.BytesIO(data))] == [["姓名", "部门"], ["张三", "财务部"]]
