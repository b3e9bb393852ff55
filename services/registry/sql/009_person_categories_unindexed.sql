-- The GIN index on person.categories served no query. ListPersons filters
-- a category with "= ANY" among the persons a member may see, walking them
-- in id order on the primary key (its plan, with the index there, is the
-- same); no other statement reads the column by value. The index cost
-- every insert and update of a person: 20,000 persons inserted in one
-- statement took 295 ms with it, 190 ms without (median of 4 rounds each,
-- side by side, 2026-12-02).
DROP INDEX IF EXISTS person_categories;
