CREATE TABLE `orders` (`id` BIGINT NOT NULL AUTO_INCREMENT, `note` VARCHAR(10) DEFAULT "a;b", PRIMARY KEY (`id`)) ENGINE=InnoDB;
CREATE DEFINER = `root`@`localhost` PROCEDURE p() BEGIN
  DECLARE i INT DEFAULT 0;
  WHILE i < 3 DO SET i = i + 1; END WHILE;
  IF i > 2 THEN SELECT 1; END IF;
  CASE i WHEN 3 THEN SELECT 2; END CASE;
END;
# a hash comment; still a comment
ALTER TABLE `orders` ADD INDEX `idx_note` (`note`);
