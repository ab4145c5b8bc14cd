package dev.oxbow.server;

import org.junit.jupiter.api.extension.ExtendWith;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The console end to end in real headless Chromium (Debian's chromium + chromium-driver): sign in, create a
 * project and a branch, see it in the tree, copy a connection string and run it with psql, use the SQL
 * editor. Screenshots go to target/console-screenshots/.
 */
@ExtendWith(SharedServer.class)
class ConsoleBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SHOTS = Path.of("target", "console-screenshots");
    private static final Duration OPERATION = Duration.ofSeconds(180);

    private static TestServer t;
    private static WebDriver driver;

    @BeforeAll
    static void start(TestServer shared) throws Exception {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            fail("The console tests need Debian's chromium and chromium-driver (" + CHROMIUM + ", " + CHROMEDRIVER
                    + "): run scripts/setup --for-tests as root, or apt-get install chromium chromium-driver.");
        }
        if (!ProxyClients.hasPsql()) {
            fail("The console test runs the copied connection string with psql: apt-get install postgresql-client (scripts/setup --for-tests).");
        }
        Files.createDirectories(SHOTS);
        t = shared;
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // --no-sandbox: tests run as root in CI, where Chromium's sandbox refuses to start
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1500,1100");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
    }

    /** Polls every 50 ms, not Selenium's default 500: each wait then ends about when the page is ready. */
    private static WebDriverWait waiting(Duration d) {
        return new WebDriverWait(driver, d, Duration.ofMillis(50));
    }

    private static WebElement visible(String css, Duration d) {
        return waiting(d).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
    }

    private static WebElement visible(String css) {
        return visible(css, Duration.ofSeconds(20));
    }

    private static void screenshot(String name) throws Exception {
        Path shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** Fails with the console's own error banner when an action went wrong, instead of a bare timeout. */
    private static void noError() {
        WebElement banner = driver.findElement(By.id("error"));
        assertThat(banner.isDisplayed() ? banner.getText() : "").as("console error banner").isEmpty();
    }

    @Test
    void signInCreateProjectAndBranchCopyConnectionStringAndRunSql() throws Exception {
        driver.get(t.baseUrl() + "/");
        visible("#token").sendKeys(t.token());
        driver.findElement(By.id("sign-in")).click();
        visible("#new-project-id");
        screenshot("01-projects");

        driver.findElement(By.id("new-project-id")).sendKeys("console-e2e");
        driver.findElement(By.id("create-project")).click();
        visible("#branch-tree g[data-branch='production']", OPERATION);
        noError();
        assertThat(driver.getCurrentUrl()).endsWith("#/projects/console-e2e");
        visible(".endpoint[data-endpoint='primary'] [data-field='state']");
        screenshot("02-project");

        visible("#new-branch-id").sendKeys("feature-x");
        driver.findElement(By.id("create-branch")).click();
        WebElement row = visible("#branch-tree g[data-branch='feature-x']", OPERATION);
        noError();
        assertThat(row.getText()).contains("feature-x");
        // the child is drawn under its parent, with a connector line from it
        assertThat(driver.findElements(By.cssSelector("#branch-tree path"))).isNotEmpty();
        visible("#branch-panel[data-branch='feature-x']");
        // the branch's change feeds, with the database to create one in
        waiting(Duration.ofSeconds(20)).until(d -> d.findElement(By.id("cdf-feeds")).getText().contains("No change feeds on this branch."));
        assertThat(visible("#new-cdf-database").getText()).contains("databricks_postgres");
        noError();
        screenshot("03-branch-created");

        // connection string for feature-x's compute: a freshly minted credential that psql accepts
        visible(".endpoint[data-endpoint='primary'] button[data-action='connect']").click();
        WebElement psql = visible("#conn-psql");
        driver.findElement(By.id("copy-conn")).click();
        waiting(Duration.ofSeconds(10)).until(d -> !d.findElement(By.id("copy-status")).getText().isEmpty());
        assertThat(driver.findElement(By.id("copy-status")).getDomAttribute("data-copied")).isEqualTo(psql.getText());
        screenshot("04-connection-string");
        Matcher m = Pattern.compile("^psql \"(.+)\"$").matcher(psql.getText().strip());
        assertThat(m.matches()).as("psql command: %s", psql.getText()).isTrue();
        assertThat(m.group(1)).contains("sslmode=verify-full");
        var result = ProxyClients.run(Map.of(), "/usr/bin/psql", m.group(1), "-XAtq", "-v", "ON_ERROR_STOP=1",
                "-c", "SELECT current_user || ' on ' || current_database()");
        assertThat(result.exit()).as("psql: %s", result.output()).isZero();
        assertThat(result.output().strip()).isEqualTo("admin@oxbow.local on databricks_postgres");

        // the SQL editor on the selected branch
        WebElement query = visible("#sql-query");
        query.sendKeys("SELECT 40 + 2 AS answer, 'console' AS source");
        driver.findElement(By.id("run-sql")).click();
        WebElement summary = visible("#sql-summary", Duration.ofSeconds(60));
        assertThat(summary.getText()).startsWith("1 row(s)");
        assertThat(driver.findElement(By.cssSelector("#sql-result table")).getText()).contains("answer", "42", "console");
        query.clear();
        query.sendKeys("SELECT * FROM no_such_table");
        driver.findElement(By.id("run-sql")).click();
        assertThat(visible("#sql-error", Duration.ofSeconds(60)).getText()).contains("relation \"no_such_table\" does not exist");
        screenshot("05-sql-editor");

        assertThat(driver.findElement(By.id("operations")).getText()).contains("projects/console-e2e");

        // restore in place: the previous state appears in the tree as a branch of its own
        ((JavascriptExecutor) driver).executeScript("const i = document.getElementById('restore-time'); i.value = i.max;");
        driver.findElement(By.id("restore-branch")).click();
        waiting(Duration.ofSeconds(10)).until(ExpectedConditions.alertIsPresent()).accept();
        waiting(OPERATION).until(d -> d.findElement(By.id("error")).isDisplayed()
                || !d.findElements(By.cssSelector("#branch-tree g[data-branch^='feature-x_old_']")).isEmpty());
        WebElement banner = driver.findElement(By.id("error"));
        assertThat(banner.isDisplayed()).as("restore failed: " + banner.getText()).isFalse();
        screenshot("06-restore");

        // snapshots: take one of the root branch, schedule it, branch from it
        visible("#branch-tree g[data-branch='production']").click();
        visible("#branch-panel[data-branch='production']");
        visible("#new-snapshot-id").sendKeys("console-snap");
        driver.findElement(By.id("create-snapshot")).click();
        WebElement snapRow = visible("#snapshots tr[data-snapshot='console-snap']", OPERATION);
        noError();
        assertThat(snapRow.getText()).contains("console-snap", "production");
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("snapshot-schedule"))).selectByValue("WEEKLY");
        waiting(Duration.ofSeconds(20)).until(d -> d.findElement(By.id("branch-panel")).getText().contains("Schedule: weekly"));
        noError();
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(t.http("GET",
                "/api/2.0/postgres/projects/console-e2e/branches/production/snapshot-schedule", null).body()).at("/spec/frequency").asText())
                .isEqualTo("WEEKLY");
        driver.findElement(By.id("from-snapshot-branch-id")).sendKeys("from-snap");
        snapRow.findElement(By.cssSelector("button[data-action='branch']")).click();
        visible("#branch-tree g[data-branch='from-snap']", OPERATION);
        noError();
        screenshot("07-snapshots");
    }
}
