<?php
require_once 'config.php';

// CORS headers
header('Access-Control-Allow-Origin: https://saberloop.com');
header('Access-Control-Allow-Methods: POST, OPTIONS');
header('Access-Control-Allow-Headers: Content-Type, X-Telemetry-Token');
header('Content-Type: application/json');

// Handle preflight
if ($_SERVER['REQUEST_METHOD'] === 'OPTIONS') {
    http_response_code(204);
    exit;
}

// Validate method
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    http_response_code(405);
    echo json_encode(['error' => 'Method not allowed']);
    exit;
}

// Validate token
$token = $_SERVER['HTTP_X_TELEMETRY_TOKEN'] ?? '';
if ($token !== TELEMETRY_TOKEN) {
    http_response_code(401);
    echo json_encode(['error' => 'Unauthorized']);
    exit;
}

// Parse JSON body
$input = file_get_contents('php://input');
$data = json_decode($input, true);

if (!$data) {
    http_response_code(400);
    echo json_encode(['error' => 'Invalid JSON']);
    exit;
}

// Get today's date for file naming
$date = date('Y-m-d');
$baseDir = TELEMETRY_STORAGE_PATH;

// Ensure directories exist
foreach (['logs', 'traces', 'metrics'] as $type) {
    $dir = "$baseDir/$type";
    if (!is_dir($dir)) {
        mkdir($dir, 0755, true);
    }
}

$counts = ['logs' => 0, 'traces' => 0, 'metrics' => 0];

// Append logs
if (!empty($data['logs'])) {
    $file = "$baseDir/logs/$date.jsonl";
    foreach ($data['logs'] as $log) {
        $log['received_at'] = date('c');
        file_put_contents($file, json_encode($log) . "\n", FILE_APPEND | LOCK_EX);
        $counts['logs']++;
    }
}

// Append traces
if (!empty($data['traces'])) {
    $file = "$baseDir/traces/$date.jsonl";
    foreach ($data['traces'] as $trace) {
        $trace['received_at'] = date('c');
        file_put_contents($file, json_encode($trace) . "\n", FILE_APPEND | LOCK_EX);
        $counts['traces']++;
    }
}

// Append metrics
if (!empty($data['metrics'])) {
    $file = "$baseDir/metrics/$date.jsonl";
    foreach ($data['metrics'] as $metric) {
        $metric['received_at'] = date('c');
        file_put_contents($file, json_encode($metric) . "\n", FILE_APPEND | LOCK_EX);
        $counts['metrics']++;
    }
}

echo json_encode(['status' => 'ok', 'received' => $counts]);
