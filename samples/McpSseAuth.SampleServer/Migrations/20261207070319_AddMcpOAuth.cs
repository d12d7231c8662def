using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace McpSseAuth.SampleServer.Migrations
{
    /// <inheritdoc />
    public partial class AddMcpOAuth : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "DataProtectionKeys",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    FriendlyName = table.Column<string>(type: "text", nullable: true),
                    Xml = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DataProtectionKeys", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "mcp_oauth_entries",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(64)", unicode: false, maxLength: 64, nullable: false),
                    key = table.Column<string>(type: "text", nullable: false),
                    value = table.Column<byte[]>(type: "bytea", nullable: false),
                    expires_at = table.Column<long>(type: "bigint", nullable: false),
                    partition_id = table.Column<string>(type: "character varying(64)", unicode: false, maxLength: 64, nullable: true),
                    taken_at = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_mcp_oauth_entries", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "mcp_oauth_messages",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    channel = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    sender = table.Column<string>(type: "character varying(64)", unicode: false, maxLength: 64, nullable: false),
                    payload = table.Column<byte[]>(type: "bytea", nullable: false),
                    sent_at = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_mcp_oauth_messages", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_mcp_oauth_entries_expires_at",
                table: "mcp_oauth_entries",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "IX_mcp_oauth_entries_partition_id",
                table: "mcp_oauth_entries",
                column: "partition_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DataProtectionKeys");

            migrationBuilder.DropTable(
                name: "mcp_oauth_entries");

            migrationBuilder.DropTable(
                name: "mcp_oauth_messages");
        }
    }
}
