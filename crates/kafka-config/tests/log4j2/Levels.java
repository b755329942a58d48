// Loads log4j2 YAML files with the log4j2 of a Kafka distribution (its YamlConfiguration, as Kafka
// does at start) and prints, for each file, the root level and the level of each named logger:
// `java -cp "$KAFKA_HOME/libs/*" Levels.java LOGGER,LOGGER FILE...`. Used by tests/log4j2_yaml.rs.
import java.io.File;
import java.io.FileInputStream;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.yaml.YamlConfiguration;

public class Levels {
    public static void main(String[] args) throws Exception {
        String[] loggers = args[0].split(",");
        for (int i = 1; i < args.length; i++) {
            File file = new File(args[i]);
            YamlConfiguration config = new YamlConfiguration(
                new LoggerContext("levels"), new ConfigurationSource(new FileInputStream(file), file));
            config.initialize();
            StringBuilder line = new StringBuilder("root=" + config.getRootLogger().getLevel());
            for (String logger : loggers) {
                line.append(" ").append(logger).append("=").append(config.getLoggers().get(logger).getLevel());
            }
            System.out.println(line);
        }
    }
}
