-- UTS #39 confusable skeletons of usernames (Services/UsernameConfusables.cs), so that the database
-- refuses a look-alike of a taken name (аdmin with a Cyrillic а beside admin) as it refuses the name.
-- username_skeleton: the skeleton of username_key. skeleton_claim: what must be unique: the skeleton
-- while usernames are unique, skeleton#discriminator with tagged usernames (Accounts:UniqueUsernames
-- false), NULL for deleted accounts. NULLs never collide.
-- Computing a skeleton needs the confusables data, so the rows already there get theirs from this
-- migration's code step (Data/UsernameSkeletonBackfill.cs) in the same transaction; an old account
-- whose name already looked like an older one's keeps its name, without a claim.
ALTER TABLE users ADD COLUMN username_skeleton TEXT;
ALTER TABLE users ADD COLUMN skeleton_claim TEXT;
CREATE UNIQUE INDEX users_skeleton_claim ON users (skeleton_claim);
CREATE INDEX users_skeleton ON users (username_skeleton);
