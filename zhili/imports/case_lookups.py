"""Source texts -> our categories and departments, for the cases importer.

Categories: the mapping's table first (value: our code, or a name that is unique), then the text itself as one of
our codes or unique names, then a child of the imported branch with that name. An unknown text gets a child of the
imported branch ("历史导入", code IMPORT; children IMPORT-0001, ...), created once through the taxonomy service
(inactive: offered neither at intake nor to the classifier; an operator can later move or rename them).
Departments: the mapping's table (value: our code, name or short name), then the text itself the same way;
unknown -> None (the importer keeps the case unassigned, or rejects the row if the mapping says so).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.imports import repository as repo
from zhili.imports.case_mapping import CaseMapping
from zhili.imports.mapping import ImportMappingError
from zhili.taxonomy import service as taxonomy
from zhili.taxonomy.schemas import CategoryCreate

BRANCH_CODE = "IMPORT"


def _unique_names(rows: list[tuple[int, str]]) -> dict[str, int]:
    counts = Counter(name for _, name in rows)
    return {name: i for i, name in rows if counts[name] == 1}


class CategoryLookup:
    def __init__(self, session: Session, mapping: CaseMapping) -> None:
        rows = repo.categories(session)
        branch = next((r for r in rows if r[1] == BRANCH_CODE), None)
        self.branch_id: int | None = branch[0] if branch else None
        self.branch_name = mapping.imported_category
        ours = [r for r in rows if self.branch_id is None or (r[0] != self.branch_id and r[3] != self.branch_id)]
        self.by_code = {code: i for i, code, _, _, _ in ours}
        self.by_name = _unique_names([(i, name) for i, _, name, _, _ in ours])
        self.imported = {name: i for i, _, name, parent, _ in rows if parent is not None and parent == self.branch_id}
        self.children = len(self.imported)
        self.table: dict[str, int] = {}
        bad = []
        for text, target in mapping.category.items():
            found = self.by_code.get(target, self.by_name.get(target))
            if found is None:
                bad.append(f"{text} -> {target}")
            else:
                self.table[text] = found
        if bad:
            raise ImportMappingError("映射文件 category 表中的分类在系统中不存在（应为分类编码或唯一的分类名称）："
                                     + "、".join(bad))
        self.created: dict[str, int] = {}  # made in the batch now running; kept when it commits
        self.children_made = 0
        self._new_branch = False

    def __call__(self, text: str) -> int | None:
        return (self.table.get(text) or self.by_code.get(text) or self.by_name.get(text)
                or self.imported.get(text) or self.created.get(text))

    def create(self, session: Session, actor: Actor, text: str) -> int:
        """The imported branch's child named `text` (made now, with the branch if need be)."""
        if self.branch_id is None:
            taxonomy.create_category(session, actor, CategoryCreate(
                code=BRANCH_CODE, name=self.branch_name, kind="governance", runway="service", active=False,
                keywords=""))
            branch = repo.category_by_code(session, BRANCH_CODE)
            assert branch is not None
            self.branch_id = branch.id
            self._new_branch = True
        code = f"{BRANCH_CODE}-{self.children + len(self.created) + 1:04d}"
        taxonomy.create_category(session, actor, CategoryCreate(code=code, name=text[:64], parent_code=BRANCH_CODE,
                                                                active=False))
        made = repo.category_by_code(session, code)
        assert made is not None
        self.created[text] = made.id
        return made.id

    def committed(self) -> None:
        self.imported.update(self.created)
        self.children += len(self.created)
        self.children_made += len(self.created)
        self.created = {}
        self._new_branch = False

    def rolled_back(self) -> None:
        self.created = {}
        if self._new_branch:
            self.branch_id = None
            self._new_branch = False


class DepartmentLookup:
    def __init__(self, session: Session, mapping: CaseMapping) -> None:
        rows = repo.departments(session)
        self.direct: dict[str, int] = {code: i for i, code, _, _ in rows}
        names = _unique_names([(i, name) for i, _, name, _ in rows] + [(i, short) for i, _, name, short in rows
                                                                         if short != name])
        for name, i in names.items():
            self.direct.setdefault(name, i)
        self.table: dict[str, int] = {}
        bad = []
        for text, target in mapping.department.items():
            found = self.direct.get(target)
            if found is None:
                bad.append(f"{text} -> {target}")
            else:
                self.table[text] = found
        if bad:
            raise ImportMappingError("映射文件 department 表中的部门在系统中不存在（应为部门编码、名称或简称）："
                                     + "、".join(bad))

    def __call__(self, text: str) -> int | None:
        return self.table.get(text) or self.direct.get(text)
