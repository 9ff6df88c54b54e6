-- What a finished job found or reached, as JSON (a recovery's end point, its data directory and port).
alter table job add column result varchar(8000);
